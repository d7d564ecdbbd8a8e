"""The customer archive screens (客户档案): search, a customer's record, edit, export, audit
log, data quality and segments."""
