-- Las tablas de una entrega, en su base desechable: las del curso, con los dos nombres que
-- usan los alumnos (usuario y usuarios), para que el nombre de la tabla no suspenda a nadie.
-- La restricción CHECK hace que la base rechace un INSERT concreto: así se prueba qué hace
-- la entrega con un error de SQL aunque valide los datos antes de enviarlos.
CREATE TABLE usuario (
    id_usuario SERIAL PRIMARY KEY,
    username VARCHAR(50),
    password VARCHAR(50),
    CONSTRAINT rechazado_por_la_base CHECK (username IS DISTINCT FROM 'rechazado-por-la-base')
);

CREATE TABLE usuarios (
    id_usuario SERIAL PRIMARY KEY,
    username VARCHAR(50),
    password VARCHAR(50),
    CONSTRAINT rechazado_por_la_base_s CHECK (username IS DISTINCT FROM 'rechazado-por-la-base')
);

-- Algunas entregas traen también Persona y PersonaDAO (y alguna las usa al importarse).
CREATE TABLE persona (
    id_persona SERIAL PRIMARY KEY,
    nombre VARCHAR(50),
    apellido VARCHAR(50),
    email VARCHAR(50)
);

-- Una restricción única diferida: el error no llega con el INSERT sino con el COMMIT.
CREATE TABLE calificador_diferida (
    valor INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED
);
