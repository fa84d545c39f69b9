-- Back to an empty database.
DROP TABLE IF EXISTS {p}sections
-- +statement
DROP TABLE IF EXISTS {p}shares
-- +statement
DROP TABLE IF EXISTS {p}admins_groups_mapping
-- +statement
DROP TABLE IF EXISTS {p}groups_folders_mapping
-- +statement
DROP TABLE IF EXISTS {p}users_folders_mapping
-- +statement
DROP TABLE IF EXISTS {p}users_groups_mapping
-- +statement
DROP TABLE IF EXISTS {p}admins
-- +statement
DROP TABLE IF EXISTS {p}folders
-- +statement
DROP TABLE IF EXISTS {p}groups
-- +statement
DROP TABLE IF EXISTS {p}users
