import time

# Espera a que arranque el servidor antes de seguir.
time.sleep(3600)
