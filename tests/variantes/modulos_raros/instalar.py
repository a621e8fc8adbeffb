import sys

import sympy_que_no_esta_instalado

if sys.version_info < (3, 8):
    sys.exit('Hace falta Python 3.8')
