-- El teléfono de cada persona; las que ya había se quedan sin él (NULL), no se pierden.
ALTER TABLE persona ADD COLUMN telefono VARCHAR(20);
