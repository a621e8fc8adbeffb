import logging as log

log.basicConfig(level=log.INFO, format='%(levelname)s %(message)s')
