DROP TABLE units;
DROP TABLE buildings;
DROP TABLE estates;
