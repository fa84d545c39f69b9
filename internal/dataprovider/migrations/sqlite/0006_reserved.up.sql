-- Version 6 is set aside for the event manager (another branch); this
-- placeholder keeps the sequence whole until it lands.
SELECT 1
