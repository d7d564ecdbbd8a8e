"""The archive's import screen (导入): upload a DMS export, check it, confirm it."""
