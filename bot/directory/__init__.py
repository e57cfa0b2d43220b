"""The room directory: the tree of buildings, floors and rooms read from Feishu (`tree`), the copy a
process answers from (`cache`), and its snapshot in the store (`snapshot`, `table`), so a new
process does not re-list a 2,000-room tenant."""
