"""What every page the daemon serves to a browser must be: strict HTML, no script, its safety headers."""

from __future__ import annotations

from collections.abc import Mapping

import html5lib
import httpx


def strict_page(answer: httpx.Response, status: int, headers: Mapping[str, str]) -> html5lib.treebuilders.etree.Element:
    """The answer's tree, once its status, ``headers``, a script-free CSP, strict HTML and no <script> are checked."""
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in headers.items():
        assert answer.headers[name] == value
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(answer.text)
    assert tree.findall(".//script") == []
    return tree
