"""The business's do-not-contact list, honoured by campaigns and messaging."""
