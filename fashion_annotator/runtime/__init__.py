"""What every entry point shares and no command owns: exit codes and error messages, the
per-user folders, the log file and crash handlers, terminal progress bars, the command line of a
child process (frozen-aware) and the environment checks of ``fashion-annotator doctor``.

Qt-free: the GUI adds its dialogs on top (:mod:`fashion_annotator.ui.crash`).
"""
