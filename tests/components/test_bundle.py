"""What the pages put in the browser's bundle: nothing that drags a whole library in."""

from __future__ import annotations


def test_no_page_names_an_icon_by_a_var(portal_env):
    """``rx.icon(var)`` becomes lucide's DynamicIcon, whose import map of every icon
    (about 300 KB) lands in the chunk every page loads; draw one icon per case."""
    from customer_portal.customer_portal import app

    for route, page in app._unevaluated_pages.items():
        component = page.component()
        tags = {i.tag for lib, imports in component._get_all_imports().items() for i in imports}
        assert "DynamicIcon" not in tags, route
