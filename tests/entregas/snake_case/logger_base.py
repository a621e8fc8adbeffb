import logging

log = logging.getLogger('laboratorio')
log.setLevel(logging.DEBUG)
_consola = logging.StreamHandler()
_consola.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
log.addHandler(_consola)
