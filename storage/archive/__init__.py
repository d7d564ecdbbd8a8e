"""Reading the customer archive: search keys, search, data quality and segments.

Plain functions over a session the caller owns; nothing here knows about Flask or who is
asking (the console decides which stores and customers a user may see and passes them in).
"""
