-- Labels on a forecast value (issue 10, scenario 9): 'out-of-range' when an input of the model
-- (temperature) lay outside its training range at that hour or, for a local day, at any of its
-- hours. An array rather than a boolean so further labels need no new column; existing rows read
-- as unflagged.
ALTER TABLE forecasts ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
