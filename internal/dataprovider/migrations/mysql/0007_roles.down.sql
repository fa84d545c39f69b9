-- Back to version 6: the roles table goes (users and admins keep the
-- role name in their documents; the store moves the roles into the
-- backup section first), and so do the used one-time codes.
DROP TABLE IF EXISTS {p}used_otp_codes
-- +statement
DROP TABLE IF EXISTS {p}roles
