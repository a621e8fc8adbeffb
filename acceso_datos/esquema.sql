-- Esquema de la aplicación. Idempotente: se puede aplicar tantas veces como se quiera.
CREATE TABLE IF NOT EXISTS usuario (
    id_usuario SERIAL PRIMARY KEY,
    username   VARCHAR(50)  NOT NULL UNIQUE,
    -- Guarda el hash con sal de la contraseña (ver seguridad.py), nunca el texto plano.
    password   VARCHAR(255) NOT NULL
);
