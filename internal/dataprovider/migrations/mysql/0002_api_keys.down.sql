-- Back to version 1: API keys go, every other object stays.
DROP TABLE IF EXISTS {p}api_keys
