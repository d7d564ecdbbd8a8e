"""The call scripts screen (话术): every script of a store by task type and customer kind,
edited by centre heads; each save is a new version, and the history shows them all."""
