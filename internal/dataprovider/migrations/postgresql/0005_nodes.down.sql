-- Back to version 4: the nodes table goes.
DROP TABLE IF EXISTS {p}nodes
