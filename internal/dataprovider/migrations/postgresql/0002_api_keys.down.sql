-- Back to version 1: API keys go, every other object stays.
DROP TABLE {p}api_keys
