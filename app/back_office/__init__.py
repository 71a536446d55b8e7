"""The back office's services: who is signed in and what they may open (``access``), and the
paged reads its big lists are drawn from (``paging``). Each area's own rules live beside it
(``app.back_office.<area>``); none of this imports Qt."""
