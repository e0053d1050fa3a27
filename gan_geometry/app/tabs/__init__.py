"""One module per tab of the page, each with ``build(page)`` (its components, as a dataclass) and
``wire(page, tab)`` (its events); ``layout.build`` puts them together."""
