\echo Use "CREATE EXTENSION safemigrate_testext" to load this file. \quit
CREATE INDEX safemigrate_testext_idx ON safemigrate_test.patients (born);
