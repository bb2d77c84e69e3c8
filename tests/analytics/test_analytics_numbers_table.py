"""A chart's "Show the numbers" table is built in Python (presenters.numbers_table)
for speed; it must be the markup the template loop gave, escaped the same way."""
from __future__ import annotations

from markupsafe import Markup

from app.charts.styled import Chart
from app.analytics.presenters import numbers_table


def test_numbers_table_markup_and_escaping():
    chart = Chart(title="t", summary="s", svg=Markup("<svg></svg>"), headers=["Day", "Calls <all>"],
                  rows=[["Mar 1", "1,204"], ["<script>", Markup("<b>5</b>")]])
    assert str(numbers_table(chart)) == (
        '<table class="analytics-table"><thead><tr><th scope="col">Day</th><th scope="col">Calls &lt;all&gt;</th>'
        '</tr></thead><tbody><tr><th scope="row">Mar 1</th><td>1,204</td></tr>'
        '<tr><th scope="row">&lt;script&gt;</th><td><b>5</b></td></tr></tbody></table>')
