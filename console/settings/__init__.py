"""The settings screen (设置): a store's follow-up timing, contact cap and retries, reminders and
archive settings, edited by centre heads and administrators."""
