"""Rendering: a Reply becomes card JSON 2.0 (`cards`, Jinja2 over the packaged templates) and a card
becomes terminal text (`text`, for `roombot ask` and the demo); a table becomes an xlsx file
(`sheet`, for downloads and exports)."""
