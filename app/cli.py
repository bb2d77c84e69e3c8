from __future__ import annotations

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    """Every `flask` command the app adds, in one place; each calls into its area's services."""
    @app.cli.command("sync-packages")
    def sync_packages_command():
        """Insert or update the package rows from the catalog."""
        from app.packages.services import sync_catalog

        click.echo(f"Packages changed: {sync_catalog()}")

    @app.cli.command("seed-demo")
    @click.option("--history", is_flag=True, help="Also build 18 months of subscriptions and usage for the operator console.")
    @click.option("--businesses", default=260, show_default=True, help="With --history: how many businesses.")
    def seed_demo_command(history, businesses):
        """Load demo data (idempotent) and print the demo logins."""
        from app.demo import DEMO_ADMIN_PASSWORD, DEMO_OWNER_PASSWORD, seed_demo
        from app.packages.services import sync_catalog

        sync_catalog()
        result = seed_demo()
        click.echo(f"Directory businesses added: {result['businesses_created']}")
        click.echo(f"Demo owner:  {result['owner'].email} / {DEMO_OWNER_PASSWORD}")
        click.echo(f"Demo admin:  {result['admin'].email} / {DEMO_ADMIN_PASSWORD}")
        if history:  # -- operator console (issue 16)
            from app.demo_history import seed_history

            built = seed_history(businesses=businesses, echo=click.echo)
            click.echo("History already built." if built["skipped"] else
                       f"History: {built['businesses']} businesses, {built['subscribed']} subscribed, {built['calls']} calls.")

    @app.cli.command("make-admin")
    @click.argument("email")
    def make_admin_command(email):
        """Grant AlphaSite admin rights to an existing account."""
        from app.auth.services import find_user_by_email
        from app.extensions import db

        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No account with email {email}")
        user.is_admin = True
        db.session.commit()
        click.echo(f"{user.email} is now an admin.")

    # -- operator console (issue 16)
    metrics = click.Group("metrics", help="Operator console metrics.")
    app.cli.add_command(metrics)

    @metrics.command("reconcile")
    def reconcile_command():
        """Compare MRR from subscription history with Stripe's active subscriptions; exit 1 on a mismatch."""
        from app.admin.reconciliation import reconcile

        result = reconcile()
        click.echo(f"MRR from history: ${result.ours / 100:,.2f}")
        click.echo(f"MRR from Stripe:  ${result.stripe / 100:,.2f}")
        for key, ours, theirs in result.explained:
            click.echo(f"  explained  {key}: ours ${ours / 100:,.2f}, Stripe ${theirs / 100:,.2f}")
        for key, ours, theirs in result.mismatches:
            click.echo(f"  MISMATCH   {key}: ours ${ours / 100:,.2f}, Stripe ${theirs / 100:,.2f}")
        if not result.ok:
            raise SystemExit(1)
        click.echo("Reconciled: the figures agree.")

    @app.cli.command("rotate-keys")
    def rotate_keys_command():
        """Re-encrypt every stored 4calls organization key under the newest ENCRYPTION_KEYS entry."""
        from app.assistant.keys import rotate_encryption

        click.echo(f"Organization keys re-encrypted: {rotate_encryption()}")

    billing = click.Group("billing", help="Stripe billing.")
    app.cli.add_command(billing)

    @billing.command("sync-prices")
    def sync_prices_command():
        """Find or create the Stripe products and monthly prices of every package."""
        from app.billing import prices

        for slug, price in prices.catalog_prices(force=True).items():
            click.echo(f"{slug}: {price['id']} {price['unit_amount'] / 100:.2f} "
                       f"{price['currency'].upper()}/{price['recurring']['interval']}")

    analytics = click.Group("analytics", help="Call analytics.")
    app.cli.add_command(analytics)

    @analytics.command("rebuild-rollups")
    def rebuild_rollups_command():
        """Recount every business's call rollups from its calls (idempotent)."""
        from sqlalchemy import select

        from app.analytics import rollups
        from app.extensions import db
        from app.models import Business

        for business in db.session.scalars(select(Business)).all():
            counted = rollups.rebuild(business)
            db.session.commit()
            if counted:
                click.echo(f"{business.slug}: {counted:,} calls")
