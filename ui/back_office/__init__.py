"""The back office's window part: a sign-in, then the pages the signed-in person's role opens
(``shell``), each page a module of its own under ``ui.back_office.<page>`` built from a
``PageContext``; big lists go through ``paged_model``."""
