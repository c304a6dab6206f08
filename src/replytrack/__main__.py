"""``python -m replytrack``: the command line (needs ``pip install 'replytrack[cli]'``)."""

from replytrack.cli import main

if __name__ == "__main__":
    main()
