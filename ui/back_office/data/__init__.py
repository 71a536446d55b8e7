"""The back office's Import, export, backups page and the window's daily backup timer."""
