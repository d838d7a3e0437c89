#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    from syncapp.management.preflight import main

    main(sys.argv)  # Django's command line, answering a wrong environment in one sentence
