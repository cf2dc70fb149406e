-- Run once by the postgres:15 image on an empty data volume (docker-entrypoint-initdb.d).
-- Same layout as tools/devstack: database closeout with one schema per service, and
-- database apicurio for the schema registry's storage.
CREATE DATABASE closeout;
CREATE DATABASE apicurio;

\connect closeout

CREATE SCHEMA IF NOT EXISTS ingest;
CREATE SCHEMA IF NOT EXISTS orchestrator;
CREATE SCHEMA IF NOT EXISTS messaging;
CREATE SCHEMA IF NOT EXISTS miniapp;
CREATE SCHEMA IF NOT EXISTS writeback_rest;
CREATE SCHEMA IF NOT EXISTS writeback_soap;
CREATE SCHEMA IF NOT EXISTS writeback_sftp;
CREATE SCHEMA IF NOT EXISTS reconciler;
CREATE SCHEMA IF NOT EXISTS audit;
