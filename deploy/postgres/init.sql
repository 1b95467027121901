-- Run once by the postgres image on an empty volume: Rasa's tracker store gets its own database.
-- The work-order database (POSTGRES_DB) is created by the image and migrated by the API (Alembic).
CREATE DATABASE rasa OWNER hotline;
