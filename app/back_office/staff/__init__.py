"""Staff in the back office (``users:manage``: owners and managers): the list (``listing``),
and creating, promoting, PIN resets and deactivation (``service``) under the rules of
``rules``, which the server's ``staff.create`` / ``staff.update`` handler applies again."""
