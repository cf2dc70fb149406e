import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CSS, APP_CSS_ETAG } from './assets';

/** `/assets/app.css`: the pages' one stylesheet (no inline style: the CSP allows style-src 'self' only). */
@Controller('assets')
export class AssetsController {
  @Get('app.css')
  css(@Req() req: Request, @Res() res: Response): void {
    res.set({ ETag: APP_CSS_ETAG, 'Cache-Control': 'public, max-age=3600' });
    if (req.headers['if-none-match'] === APP_CSS_ETAG) return void res.status(304).end();
    res.status(200).type('text/css; charset=utf-8').send(APP_CSS);
  }
}
