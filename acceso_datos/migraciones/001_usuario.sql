-- La tabla de usuarios. Es la que creaba el antiguo esquema.sql: una base creada con él
-- se reconoce al arrancar y esta migración se da por aplicada sin tocar sus datos.
CREATE TABLE usuario (
    id_usuario SERIAL PRIMARY KEY,
    username   VARCHAR(50)  NOT NULL UNIQUE,
    -- Guarda el hash con sal de la contraseña (ver seguridad.py), nunca el texto plano.
    password   VARCHAR(255) NOT NULL
);
