#!/bin/sh
# Marks the pack: its start script (see ../../README.md); the text of the
# script is not needed here, only its name.
