"""Online shoppers' carts (guests and signed-in customers): ``/carts``; expiry by TTL, merge on login, prices recalculated on every read, abandoned-cart mails."""
