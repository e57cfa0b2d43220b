"""The admins' dashboard: months of remembered history in the browser, signed in with Feishu.

signin.py is the OAuth round trip and the session cookie, numbers.py the pure numbers over the
store's day facts, views.py the /admin/ blueprint, downloads.py the CSV and xlsx files, and
pages/ one Jinja2 page per view.
"""
