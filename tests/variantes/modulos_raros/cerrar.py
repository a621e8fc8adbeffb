import sys

print('Este módulo no se usa')
sys.exit(0)
