-- Version 7: roles. Users and admins name their role in their documents;
-- the store checks the name exists and refuses to delete a role in use.
CREATE TABLE IF NOT EXISTS {p}roles (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
