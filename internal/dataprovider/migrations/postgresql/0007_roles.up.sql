-- Version 7: roles. Users and admins name their role in their documents;
-- the store checks the name exists and refuses to delete a role in use.
CREATE TABLE {p}roles (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL
)
