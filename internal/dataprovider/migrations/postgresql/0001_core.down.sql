-- Back to an empty database.
DROP TABLE {p}sections
-- +statement
DROP TABLE {p}shares
-- +statement
DROP TABLE {p}admins_groups_mapping
-- +statement
DROP TABLE {p}groups_folders_mapping
-- +statement
DROP TABLE {p}users_folders_mapping
-- +statement
DROP TABLE {p}users_groups_mapping
-- +statement
DROP TABLE {p}admins
-- +statement
DROP TABLE {p}folders
-- +statement
DROP TABLE {p}groups
-- +statement
DROP TABLE {p}users
