-- Back to version 5: nothing to undo.
SELECT 1
