"""Printing from the window: documents drawn by ``app.printing`` go through the print queue
(``worker``) to a system printer with Qt print support (``qt_backend``) or to the backends of
``app.printing.backends`` (ESC/POS, CUPS, a folder); ``chooser`` picks the printer for each
kind of document, ``preview`` shows a document before it is printed or saved, ``problems``
lists what did not print, with a Retry."""
