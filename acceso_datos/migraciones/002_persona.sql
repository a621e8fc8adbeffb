-- La tabla de personas del curso.
CREATE TABLE persona (
    id_persona SERIAL PRIMARY KEY,
    nombre     VARCHAR(50)  NOT NULL,
    apellido   VARCHAR(50)  NOT NULL,
    email      VARCHAR(100) NOT NULL UNIQUE
);
