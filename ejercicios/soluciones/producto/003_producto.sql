-- Los productos de la tienda.
CREATE TABLE producto (
    id_producto SERIAL PRIMARY KEY,
    nombre      VARCHAR(100)   NOT NULL UNIQUE,
    -- Para PostgreSQL, 'NaN' es mayor que cualquier número: pasaría un CHECK (precio >= 0).
    precio      NUMERIC(10, 2) NOT NULL CHECK (precio >= 0 AND precio <> 'NaN')
);
