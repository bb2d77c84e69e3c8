"""The visitor chat widget (public) and the owner's chat pages."""
