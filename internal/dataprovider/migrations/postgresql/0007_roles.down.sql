-- Back to version 6: the roles table goes (users and admins keep the
-- role name in their documents).
DROP TABLE IF EXISTS {p}roles
