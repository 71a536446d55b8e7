"""The Settings screen of the window (``screen``): for now its Printers section (``printers``) —
a printer per kind of document with a test page to preview and print, and the documents that
did not print, with Retry and Discard."""
