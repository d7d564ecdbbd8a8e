"""The notices screen (通知): what the console told the signed-in user, e.g. a complaint case
handed to their role, newest and unread first, with mark-as-read; new ones arrive live."""
